/**
 * The C constants connprobe needs, per platform. Linux on x86-64 and arm64 share these values (arm64 uses the
 * generic ABI, x86-64 agrees on every number listed here); any other platform is refused rather than guessed at,
 * because a wrong number passed to libc is a silent lie or a crash.
 */
export interface PlatformConstants {
  readonly AF_UNIX: number;
  readonly AF_INET: number;
  readonly AF_INET6: number;
  readonly SOCK_STREAM: number;
  readonly SOCK_NONBLOCK: number;
  readonly F_GETFL: number;
  readonly F_SETFL: number;
  readonly O_ACCMODE: number;
  readonly O_RDONLY: number;
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  readonly O_NONBLOCK: number;
  readonly SOL_SOCKET: number;
  readonly SO_ERROR: number;
  readonly SO_REUSEADDR: number;
  readonly SO_SNDTIMEO: number;
  readonly IPPROTO_TCP: number;
  readonly TCP_SYNCNT: number;
  readonly TCP_INFO: number;
  readonly POLLIN: number;
  readonly POLLOUT: number;
  readonly POLLERR: number;
  readonly POLLHUP: number;
  readonly POLLNVAL: number;
  readonly RLIMIT_NOFILE: number;
  readonly SIZEOF_SOCKADDR_IN: number;
  readonly SIZEOF_SOCKADDR_IN6: number;
  readonly SIZEOF_SOCKADDR_STORAGE: number;
  /** struct sockaddr_un: sa_family_t sun_family, then char sun_path[108] at this offset. */
  readonly OFFSETOF_SUN_PATH: number;
  readonly SIZEOF_SUN_PATH: number;
  readonly SIZEOF_POLLFD: number;
  readonly SIZEOF_TIMEVAL: number;
  readonly SIZEOF_RLIMIT: number;
  /** glibc's struct tcp_info (<netinet/tcp.h>): what a C program passes as optlen; the kernel's is longer. */
  readonly SIZEOF_TCP_INFO: number;
  readonly F_GETFD: number;
  readonly F_SETFD: number;
  readonly FD_CLOEXEC: number;
  readonly SIG_SETMASK: number;
  readonly CLOSE_RANGE_CLOEXEC: number;
  /** glibc's struct sigaction (handler, a 1024-bit sigset_t, flags, restorer); all zero is SIG_DFL, nothing masked. */
  readonly SIZEOF_SIGACTION: number;
  /** glibc's sigset_t: 1024 bits, of which the kernel reads 64. */
  readonly SIZEOF_SIGSET: number;
  // --packets: an AF_PACKET socket in cooked mode (SOCK_DGRAM: from the network header on, whatever the link)
  readonly AF_PACKET: number;
  readonly SOCK_DGRAM: number;
  readonly ETH_P_ALL: number;
  readonly ETH_P_IP: number;
  readonly ETH_P_IPV6: number;
  readonly SO_ATTACH_FILTER: number;
  readonly SO_RCVBUFFORCE: number;
  readonly SOL_PACKET: number;
  readonly PACKET_STATISTICS: number;
  /** sll_pkttype of a packet to this host (a tap on lo sees each segment as sent, then as this). */
  readonly PACKET_HOST: number;
  /** ioctl: the kernel's timestamp of the last packet read, a struct timespec (CLOCK_REALTIME). */
  readonly SIOCGSTAMPNS: number;
  /** ioctl: an interface's name by index, in a struct ifreq (name[IFNAMSIZ], then the index), in the caller's namespace. */
  readonly SIOCGIFNAME: number;
  readonly SIZEOF_IFREQ: number;
  readonly IFNAMSIZ: number;
  readonly MSG_TRUNC: number;
  readonly MSG_DONTWAIT: number;
  readonly CLOCK_REALTIME: number;
  readonly SIZEOF_SOCKADDR_LL: number;
  readonly SIZEOF_TIMESPEC: number;
  /** struct sock_fprog: an unsigned short count, padding, then a pointer to the instructions. */
  readonly SIZEOF_SOCK_FPROG: number;
  /** struct sock_filter: one classic BPF instruction (u16 code, u8 jt, u8 jf, u32 k). */
  readonly SIZEOF_SOCK_FILTER: number;
  /** struct tpacket_stats: tp_packets and tp_drops, two unsigned ints. */
  readonly SIZEOF_TPACKET_STATS: number;
}

const LINUX_64: PlatformConstants = {
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  F_GETFL: 3,
  F_SETFL: 4,
  O_ACCMODE: 0o3,
  O_RDONLY: 0o0,
  O_WRONLY: 0o1,
  O_RDWR: 0o2,
  O_NONBLOCK: 0o4000,
  SOL_SOCKET: 1,
  SO_ERROR: 4,
  SO_REUSEADDR: 2,
  SO_SNDTIMEO: 21,
  IPPROTO_TCP: 6,
  TCP_SYNCNT: 7,
  TCP_INFO: 11,
  POLLIN: 0x1,
  POLLOUT: 0x4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  RLIMIT_NOFILE: 7,
  SIZEOF_SOCKADDR_IN: 16,
  SIZEOF_SOCKADDR_IN6: 28,
  SIZEOF_SOCKADDR_STORAGE: 128,
  OFFSETOF_SUN_PATH: 2,
  SIZEOF_SUN_PATH: 108,
  SIZEOF_POLLFD: 8,
  SIZEOF_TIMEVAL: 16,
  SIZEOF_RLIMIT: 16,
  SIZEOF_TCP_INFO: 104,
  F_GETFD: 1,
  F_SETFD: 2,
  FD_CLOEXEC: 1,
  SIG_SETMASK: 2,
  CLOSE_RANGE_CLOEXEC: 4,
  SIZEOF_SIGACTION: 152,
  SIZEOF_SIGSET: 128,
  AF_PACKET: 17,
  SOCK_DGRAM: 2,
  ETH_P_ALL: 0x0003,
  ETH_P_IP: 0x0800,
  ETH_P_IPV6: 0x86dd,
  SO_ATTACH_FILTER: 26,
  SO_RCVBUFFORCE: 33,
  SOL_PACKET: 263,
  PACKET_STATISTICS: 6,
  PACKET_HOST: 0,
  SIOCGSTAMPNS: 0x8907,
  SIOCGIFNAME: 0x8910,
  SIZEOF_IFREQ: 40,
  IFNAMSIZ: 16,
  MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40,
  CLOCK_REALTIME: 0,
  SIZEOF_SOCKADDR_LL: 20,
  SIZEOF_TIMESPEC: 16,
  SIZEOF_SOCK_FPROG: 16,
  SIZEOF_SOCK_FILTER: 8,
  SIZEOF_TPACKET_STATS: 8,
};

const TABLE: Readonly<Record<string, PlatformConstants>> = {
  'linux-x64': LINUX_64,
  'linux-arm64': LINUX_64,
};

/** Raised before any libc call on a platform whose constants connprobe does not know (exit 6 in the CLI). */
export class UnsupportedPlatformError extends Error {
  override name = 'UnsupportedPlatformError';
}

/** The constants of a platform, or why there are none: an error value, never thrown at import. */
export function constantsFor(platform: string, arch: string): PlatformConstants | UnsupportedPlatformError {
  const key = `${platform}-${arch}`;
  return TABLE[key] ?? new UnsupportedPlatformError(`connprobe knows the C constants of ${Object.keys(TABLE).join(' and ')} only, not ${key}`);
}

const HERE = constantsFor(process.platform, process.arch);

/** Why libc cannot be called on this platform, or null: loadLibc() checks it before any call. */
export const unsupportedPlatform: UnsupportedPlatformError | null = HERE instanceof UnsupportedPlatformError ? HERE : null;

/** The constants of the platform this process runs on (none where it is unsupported: no call is made there). */
export const C: PlatformConstants = HERE instanceof UnsupportedPlatformError ? ({} as PlatformConstants) : HERE;
