import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, netGuardState, setNetworkBlocked } from './net-guard';

afterAll(() => setNetworkBlocked(false));

describe('net guard', () => {
  it('knows loopback from the rest', () => {
    for (const host of ['localhost', '127.0.0.1', '127.5.6.7', '::1', '[::1]', 'api.localhost', undefined]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['huggingface.co', '10.0.0.1', '0.0.0.0', '::ffff:10.0.0.1', '128.0.0.1']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses and counts outgoing connections while blocking, and keeps loopback open', async () => {
    const server = net.createServer((socket) => socket.end('hi'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    setNetworkBlocked(true);
    const before = netGuardState().attempts;
    const refused = await new Promise<Error>((resolve) => net.connect(443, '203.0.113.9').once('error', resolve));
    expect(refused.message).toContain('Distillery is offline: the connection to 203.0.113.9:443 was blocked');
    await expect(fetch('https://huggingface.co/api/models')).rejects.toThrow();
    expect(netGuardState().attempts).toBe(before + 2);
    expect(netGuardState().recent.at(-1)).toBe('huggingface.co:443');
    const local = await new Promise<string>((resolve) => net.connect(port, '127.0.0.1').setEncoding('utf8').once('data', resolve));
    expect(local).toBe('hi');
    setNetworkBlocked(false);
    expect(netGuardState().blocking).toBe(false);
    server.close();
  });
});
