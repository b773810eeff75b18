'use strict';
// The launcher's plan for APP_REPLICAS: how many instances, on which ports, logging where; and the errors
// that name the setting to change.
const { readReplicas, instancesOf, boardEnv, APPS } = require('./apps');

const apps = APPS.map((a) => ({ ...a })); // orders 3000, inventory 3001, shipping 3002
const plan = (list, replicas) => instancesOf(list, replicas).map((i) => `${i.label} ${i.port} ${i.logName}.log`);

describe('readReplicas', () => {
  it('is 1 when APP_REPLICAS is unset or empty', () => {
    expect(readReplicas(undefined)).toBe(1);
    expect(readReplicas('')).toBe(1);
  });

  it('takes a whole number from 1 to 4', () => {
    expect(['1', '2', '3', '4', ' 2 '].map(readReplicas)).toEqual([1, 2, 3, 4, 2]);
  });

  it.each(['0', '5', '-1', '1.5', '2e0', 'two', '0x2', '2 replicas'])('refuses "%s", naming APP_REPLICAS', (raw) => {
    expect(() => readReplicas(raw)).toThrow(`APP_REPLICAS must be a whole number from 1 to 4 (instances of each app), got "${raw}"`);
  });
});

describe('instancesOf', () => {
  it('runs one instance of each app on its own port when there is one replica', () => {
    expect(plan(apps, 1)).toEqual(['orders 3000 orders.log', 'inventory 3001 inventory.log', 'shipping 3002 shipping.log']);
  });

  it("puts replica k of an app on the app's port + 100*(k-1), with a log of its own, app by app", () => {
    expect(plan(apps, 3)).toEqual([
      'orders 3000 orders.log',
      'orders #2 3100 orders-2.log',
      'orders #3 3200 orders-3.log',
      'inventory 3001 inventory.log',
      'inventory #2 3101 inventory-2.log',
      'inventory #3 3201 inventory-3.log',
      'shipping 3002 shipping.log',
      'shipping #2 3102 shipping-2.log',
      'shipping #3 3202 shipping-3.log',
    ]);
  });

  it('keeps the service name of every replica (its bundle, database and consumer group) and says where its port comes from', () => {
    const [, second] = instancesOf(apps, 2);
    expect(second).toEqual({ name: 'orders', port: 3100, replica: 2, label: 'orders #2', logName: 'orders-2', portSetting: 'ORDERS_PORT + 100' });
  });

  it('follows ORDERS_PORT and the other ports', () => {
    const custom = [
      { name: 'orders', port: 8000 },
      { name: 'inventory', port: 9000 },
      { name: 'shipping', port: 7000 },
    ];
    expect(instancesOf(custom, 2).map((i) => i.port)).toEqual([8000, 8100, 9000, 9100, 7000, 7100]);
  });

  it("refuses a replica whose port would land on another app's, naming both settings", () => {
    const clash = [
      { name: 'orders', port: 3000 },
      { name: 'inventory', port: 3100 },
      { name: 'shipping', port: 3002 },
    ];
    expect(() => instancesOf(clash, 2)).toThrow(
      "orders #2 (ORDERS_PORT + 100) and inventory (INVENTORY_PORT) would both listen on port 3100: with APP_REPLICAS=2, replica #k of an app listens on its port + 100*(k-1); set the apps' ports further apart",
    );
    expect(() => instancesOf(clash, 1)).not.toThrow();
  });

  it('refuses a replica port past 65535', () => {
    const high = [
      { name: 'orders', port: 65500 },
      { name: 'inventory', port: 3001 },
      { name: 'shipping', port: 3002 },
    ];
    expect(() => instancesOf(high, 2)).toThrow(
      'orders #2 would listen on port 65600 (ORDERS_PORT + 100), past 65535: set ORDERS_PORT lower, or APP_REPLICAS lower',
    );
  });
});

describe('boardEnv', () => {
  const before = process.env.SHIPPING_PORT;
  afterEach(() => (before === undefined ? delete process.env.SHIPPING_PORT : (process.env.SHIPPING_PORT = before)));

  it("points the board of orders at the other apps' ports (their first replica), and gives the others nothing", () => {
    process.env.SHIPPING_PORT = '4002';
    expect(boardEnv('orders')).toEqual({ BOARD_PEER_URLS: 'inventory=http://127.0.0.1:3001,shipping=http://127.0.0.1:4002' });
    expect(boardEnv('inventory')).toEqual({});
  });
});
