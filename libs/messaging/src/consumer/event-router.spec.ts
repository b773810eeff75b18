import { EntityManager } from 'typeorm';
import { deadLetterTopicOf, EventEnvelope, OrderCancelledV1, OrderPlacedV1, ShipmentScheduledV1, Topics } from '@app/contracts';
import { EventRouter } from './event-router';
import { OnEvent, OnMessage, RawMessage } from './on-event';

class Inventory {
  @OnEvent(OrderPlacedV1)
  async placed(_e: EventEnvelope<OrderPlacedV1>, _tx: EntityManager) {}

  @OnEvent(ShipmentScheduledV1)
  async scheduled(_e: EventEnvelope<ShipmentScheduledV1>, _tx: EntityManager) {}
}

class Letters {
  @OnMessage(deadLetterTopicOf(Topics.OrdersEvents))
  async letter(_m: RawMessage) {}
}

class AlsoPlaced {
  @OnEvent(OrderPlacedV1)
  async placedAgain(_e: EventEnvelope<OrderPlacedV1>, _tx: EntityManager) {}
}

class Cancelled {
  @OnEvent(OrderCancelledV1)
  async cancelled(_e: EventEnvelope<OrderCancelledV1>, _tx: EntityManager) {}
}

/** A router over these instances, as Nest's discovery would hand them (each a static provider). */
function routerOf(...instances: object[]): EventRouter {
  const providers = instances.map((instance) => ({ instance, isDependencyTreeStatic: () => true }));
  return new EventRouter({ getProviders: () => providers } as never);
}

describe('EventRouter', () => {
  it('routes by type and version, and subscribes to the topics of the events and of the raw handlers', () => {
    const router = routerOf(new Inventory(), new Letters(), { not: 'a handler' });
    expect(router.topics()).toEqual([Topics.OrdersEvents, deadLetterTopicOf(Topics.OrdersEvents), Topics.ShippingEvents].sort());
    expect(router.event('OrderPlaced', 1)).toBeInstanceOf(Function);
    expect(router.event('OrderPlaced', 2)).toBeUndefined();
    expect(router.handlesType('OrderPlaced')).toBe(true);
    expect(router.handlesType('OrderCancelled')).toBe(false);
    expect(router.rawHandler(deadLetterTopicOf(Topics.OrdersEvents))).toBeInstanceOf(Function);
    expect(router.rawHandler(Topics.OrdersEvents)).toBeUndefined();
  });

  it('calls the handler on its own instance', async () => {
    const inventory = new Inventory();
    const spy = jest.spyOn(inventory, 'placed');
    await routerOf(inventory).event('OrderPlaced', 1)!({} as EventEnvelope<object>, {} as EntityManager);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('counts one instance once (an alias of a provider is no second handler)', () => {
    const inventory = new Inventory();
    expect(routerOf(inventory, inventory).topics()).toEqual([Topics.OrdersEvents, Topics.ShippingEvents]);
  });

  it('refuses two handlers of one event version on every call, never routing with half a table', () => {
    const router = routerOf(new Inventory(), new AlsoPlaced(), new Cancelled());
    for (let call = 0; call < 3; call++) {
      expect(() => router.topics()).toThrow(/two @OnEvent handlers for OrderPlaced v1 \(one is AlsoPlaced.placedAgain\)/);
      expect(() => router.handlesType('OrderCancelled')).toThrow(/two @OnEvent handlers/);
    }
    expect(() => router.onApplicationBootstrap()).toThrow(/two @OnEvent handlers/);
  });

  it('refuses a topic with both raw and event handlers', () => {
    class Mixed {
      @OnMessage(Topics.OrdersEvents)
      async raw(_m: RawMessage) {}
    }
    expect(() => routerOf(new Cancelled(), new Mixed()).topics()).toThrow(/both @OnMessage and @OnEvent/);
  });
});
