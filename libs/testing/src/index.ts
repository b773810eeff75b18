export * from './infra';
export * from './wait';
export * from './environment';
export * from './service-app';
export * from './kafka';
export * from './saga-stack';
export * from './events';
export * from './given-when-then';
