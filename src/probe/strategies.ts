import { C } from '../libc/constants';
import type { Endpoint } from '../libc/sockaddr';
import type { TracedLibc } from './trace';
import { E } from '../libc/errno';

/**
 * repeat: the classic reproduction. One socket made non-blocking with fcntl (exactly as the C program does),
 * connect() called `count` times on it, then closed. After a connect that succeeded, getsockname() tells which
 * local port the kernel picked (the only way to tell a real connection from a TCP self-connect).
 */
export function repeatConnect(libc: TracedLibc, peer: Endpoint, count: number): void {
  const socket = libc.socket(peer, false);
  if (socket.ret === -1) return;
  const fd = socket.ret;
  try {
    const flags = libc.fcntlGetFlags(fd);
    if (flags.ret === -1) return;
    if (libc.fcntlSetFlags(fd, flags.ret | C.O_NONBLOCK).ret === -1) return;
    let connected = false;
    for (let i = 0; i < count; i++) {
      const r = libc.connect(fd, peer);
      connected ||= r.ret === 0 || r.errno === E.EISCONN;
    }
    if (connected) libc.getsockname(fd);
  } finally {
    libc.close(fd);
  }
}
