/**
 * Loaded into every process of an offline test with NODE_OPTIONS="--import tsx --import <this file>" (children and
 * the forked engine inherit it): blocks every non-loopback connection and appends each attempt to
 * DISTILLERY_NET_GUARD_LOG, so the test can count attempts across processes.
 */
import { applyOfflineEnv } from '../downloads/net-guard';

if (!process.env.DISTILLERY_NET_GUARD_LOG) throw new Error('net-guard-preload needs DISTILLERY_NET_GUARD_LOG (the file that counts attempts).');
applyOfflineEnv();
