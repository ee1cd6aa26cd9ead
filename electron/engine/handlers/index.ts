/**
 * Every engine handler, registered by importing its module. Handlers are the engine's top layer: each adapts one
 * core module (generate, convert, train) to the engine protocol. To add one: describe the method (params, result,
 * events) in the engine contract (electron/contract/engine.ts), create a file here that calls
 * registerHandler('method', handler) and add one import line below.
 */
import './info';
import './diagnostics';
import './generate';
import './convert';
import './train';
import './network';
import './train-estimate';
