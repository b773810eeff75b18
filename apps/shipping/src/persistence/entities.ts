import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ShipmentStatus } from '../domain/shipment';

@Entity('shipment_requests')
export class ShipmentRequestEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ type: 'text', nullable: true })
  country: string | null;

  @Column({ type: 'boolean' })
  reserved: boolean;

  @Column({ type: 'boolean' })
  cancelled: boolean;
}

@Entity('shipments')
export class ShipmentEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'order_id', type: 'uuid', unique: true })
  orderId: string;

  @Column({ type: 'text' })
  status: ShipmentStatus;

  @Column({ type: 'text' })
  carrier: string;

  @Column({ type: 'text' })
  country: string;

  @Column({ name: 'estimated_delivery', type: 'timestamptz', nullable: true })
  estimatedDelivery: Date | null;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
