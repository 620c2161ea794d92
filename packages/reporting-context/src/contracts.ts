/** What other contexts may know of reporting: its published events and their schemas. */
export { AlertDecided, decisions, type AlertDecidedData, type Decision } from './alerts/events.ts';
