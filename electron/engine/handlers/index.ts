/**
 * Every engine handler, registered by importing its module. To add one: create electron/<area>/<name>-handler.ts that
 * calls registerHandler(...) and add one import line here.
 */
import './info';
import './dummy';
import '../../generate/handlers';
import '../../convert/convert-handler';
import '../../train/train-handler';
import '../../downloads/network-handler';
