import { OrderBoard } from './application/board/order-board.service';
import { OrdersConfig } from './config';
import { BoardController } from './http/board.controller';
import { OrdersModule } from './orders.module';

describe('OrdersModule', () => {
  const withBoard = (enabled: boolean) => OrdersModule.register(Object.assign(new OrdersConfig(), { BOARD_ENABLED: enabled }));

  it('serves the board and aggregates for it by default, and neither with BOARD_ENABLED=false', () => {
    expect(new OrdersConfig().BOARD_ENABLED).toBe(true);
    expect(withBoard(true).controllers).toContain(BoardController);
    expect(withBoard(true).providers).toContain(OrderBoard);
    expect(withBoard(false).controllers).not.toContain(BoardController);
    expect(withBoard(false).providers).not.toContain(OrderBoard);
  });
});
