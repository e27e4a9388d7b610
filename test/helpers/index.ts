export * from './echo-service';
export * from './server';
export * from './calls';
export * from './close-all';
