import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ReservationStatus, ReservedLine } from '../domain/stock';

@Entity('products')
export class ProductEntity {
  @PrimaryColumn({ type: 'text' })
  sku: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'price_cents', type: 'int' })
  priceCents: number;

  @Column({ type: 'text' })
  currency: string;

  @Column({ type: 'int' })
  available: number;

  @Column({ type: 'int' })
  reserved: number;

  @Column({ type: 'int' })
  shipped: number;

  @Column({ type: 'int' })
  received: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('reservations')
export class ReservationEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ type: 'text' })
  status: ReservationStatus;

  @Column({ type: 'jsonb' })
  lines: ReservedLine[];

  @Column({ name: 'total_cents', type: 'bigint', transformer: { to: (v) => v, from: (v) => Number(v) } })
  totalCents: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
