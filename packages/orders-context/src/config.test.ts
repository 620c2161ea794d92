import { describe, expect, it } from 'vitest';
import { eventHubSettings, loadOrdersConfig } from './config.ts';

const namespace = 'Endpoint=sb://contoso-orders.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=c2VjcmV0';
const settings = (env: NodeJS.ProcessEnv) => eventHubSettings(loadOrdersConfig(env));

describe('Event Hubs settings', () => {
  it('are off when no connection string is set, or an empty one', () => {
    expect(settings({})).toBeUndefined();
    expect(settings({ ORDERS_EVENTHUB_CONNECTION_STRING: '', ORDERS_EVENTHUB_NAME: '' })).toBeUndefined();
  });

  it('read a namespace connection string with a hub name, and default the rest', () => {
    expect(settings({ ORDERS_EVENTHUB_CONNECTION_STRING: namespace, ORDERS_EVENTHUB_NAME: 'orders' })).toEqual({
      connectionString: namespace,
      eventHubName: 'orders',
      consumerGroup: '$Default',
      startPosition: 'earliest',
      batchSize: 100,
    });
  });

  it('take the hub from EntityPath in the connection string', () => {
    const hub = `${namespace};EntityPath=orders`;
    expect(settings({ ORDERS_EVENTHUB_CONNECTION_STRING: hub, ORDERS_EVENTHUB_CONSUMER_GROUP: 'eventloom', ORDERS_EVENTHUB_START: 'latest' })).toMatchObject({
      consumerGroup: 'eventloom',
      startPosition: 'latest',
    });
    expect(() => settings({ ORDERS_EVENTHUB_CONNECTION_STRING: hub, ORDERS_EVENTHUB_NAME: 'returns' })).toThrow(/ORDERS_EVENTHUB_NAME: the connection string names the hub orders/);
  });

  it('say what to set when the hub is missing or the connection string is not one', () => {
    expect(() => settings({ ORDERS_EVENTHUB_CONNECTION_STRING: namespace })).toThrow(/set these environment variables:\n {2}ORDERS_EVENTHUB_NAME: the event hub to read orders from/);
    expect(() => settings({ ORDERS_EVENTHUB_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=y', ORDERS_EVENTHUB_NAME: 'orders' })).toThrow(
      /ORDERS_EVENTHUB_CONNECTION_STRING: must be an Event Hubs connection string/,
    );
    expect(() => settings({ ORDERS_EVENTHUB_CONNECTION_STRING: namespace, ORDERS_EVENTHUB_NAME: 'orders', ORDERS_EVENTHUB_BATCH: '5000' })).toThrow(/ORDERS_EVENTHUB_BATCH/);
  });
});
