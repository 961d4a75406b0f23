/* tcp_listeners.c: a sock_diag dump of the listening TCP sockets, one address family at a
 * time (tcp_listeners.h says why not /proc/net/tcp). */
#include "tcp_listeners.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One family's dump: 1 and *port_found when want took one, 0 when the dump ended without,
 * -1 when the kernel could not be asked. */
static int dump_family(int fd, unsigned char family, bool (*want)(unsigned, unsigned long, void *), void *arg,
                       unsigned *port_found, unsigned long *inode) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg = {
      .nlh = {.nlmsg_len = sizeof msg, .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
      .req = {.sdiag_family = family, .sdiag_protocol = IPPROTO_TCP, .idiag_states = 1u << TCP_LISTEN},
  };
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -1;
  /* The whole dump is read even once a socket is wanted: the next dump on this descriptor
   * must not start with this one's rest. */
  long buf[8192 / sizeof(long)];
  int found = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return found;
      if (h->nlmsg_type == NLMSG_ERROR) return found ? found : -1;
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || found) continue;
      const struct inet_diag_msg *d = NLMSG_DATA(h);
      unsigned port = ntohs(d->id.idiag_sport);
      if (d->idiag_state == TCP_LISTEN && want(port, d->idiag_inode, arg)) {
        found = 1;
        *port_found = port;
        *inode = d->idiag_inode;
      }
    }
  }
}

int tcp_listeners_find(bool (*want)(unsigned port, unsigned long inode, void *arg), void *arg, unsigned long *inode) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -1;
  static const unsigned char families[] = {AF_INET, AF_INET6};
  int rc = 0;
  unsigned port = 0;
  for (int i = 0; i < 2 && rc == 0; i++) rc = dump_family(fd, families[i], want, arg, &port, inode);
  close(fd);
  if (rc < 0) return -1;
  return rc ? (int)port : 0;
}
