import { IsISO8601, IsIn, IsString, IsNotEmpty, MaxLength, IsUUID } from 'class-validator';

export const SHIPMENT_FAILURE_REASONS = ['DESTINATION_NOT_SERVED'] as const;
export type ShipmentFailureReason = (typeof SHIPMENT_FAILURE_REASONS)[number];

/** A shipment was created for a reserved order. */
export class ShipmentScheduledV1 {
  static readonly type = 'ShipmentScheduled';
  static readonly version = 1;

  @IsUUID()
  shipmentId: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  carrier: string;

  @IsISO8601()
  estimatedDelivery: string;
}

/** No shipment can be made for the order. */
export class ShipmentFailedV1 {
  static readonly type = 'ShipmentFailed';
  static readonly version = 1;

  @IsIn(SHIPMENT_FAILURE_REASONS)
  reason: ShipmentFailureReason;

  @IsString()
  @MaxLength(500)
  detail: string;
}

/** A scheduled shipment was cancelled because its order was cancelled. */
export class ShipmentCancelledV1 {
  static readonly type = 'ShipmentCancelled';
  static readonly version = 1;

  @IsUUID()
  shipmentId: string;
}
