/**
 * Loaded into every process of an offline test with NODE_OPTIONS="--import tsx --import <this file>" (children and
 * the forked engine inherit it): blocks every non-loopback connection and appends each attempt to
 * DISTILLERY_NET_GUARD_LOG, so the test can count attempts across processes.
 */
import fs from 'node:fs';
import { applyOfflineEnv } from '../downloads/net-guard';

const log = process.env.DISTILLERY_NET_GUARD_LOG;
if (!log) throw new Error('net-guard-preload needs DISTILLERY_NET_GUARD_LOG (the file that counts attempts).');
applyOfflineEnv();
// Which processes ran guarded (<log>.pids: "pid script"), so a test can prove the engine was one of them.
fs.appendFileSync(`${log}.pids`, `${process.pid} ${process.argv[1] ?? ''}\n`);
