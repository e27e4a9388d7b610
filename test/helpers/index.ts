export * from './echo-service';
export * from './server';
export * from './calls';
