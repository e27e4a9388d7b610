export * from './events';
export { combineHandlers, emitSafely } from './emit';
