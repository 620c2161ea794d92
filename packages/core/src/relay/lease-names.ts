/** Lease names of a partition's relay (partition 0 keeps the unpartitioned feed's) and of the merger. */
export const relayLeaseName = (partition: number) => (partition === 0 ? 'relay' : `relay-p${partition}`);
export const mergerLeaseName = 'merger';
