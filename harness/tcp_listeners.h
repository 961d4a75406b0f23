/* tcp_listeners.h: the machine's listening TCP sockets (IPv4 and IPv6), asked of the kernel
 * over NETLINK_SOCK_DIAG (inet_diag, as `ss -ltn` does).
 *
 * Why not /proc/net/tcp: that table lists every TCP socket, TIME_WAIT ones included, and
 * the kernel walks it again for each page read; with a thousand sockets on the machine (a
 * run leaves many in TIME_WAIT) one read cost ~16 ms of system time, and a proxy's start is
 * polled every 5 ms. A sock_diag dump asked for TCP_LISTEN only walks the listening table. */
#ifndef BADUP_TCP_LISTENERS_H
#define BADUP_TCP_LISTENERS_H

#include <stdbool.h>

/* Calls want(port, inode, arg) for each listening TCP socket until it returns true; then the
 * port is returned and the socket's inode is in *inode. 0 when none was wanted; -1 when the
 * kernel could not be asked (no sock_diag: the caller reads /proc/net/tcp instead). */
int tcp_listeners_find(bool (*want)(unsigned port, unsigned long inode, void *arg), void *arg, unsigned long *inode);

#endif
