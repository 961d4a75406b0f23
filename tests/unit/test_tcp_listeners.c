/* test_tcp_listeners.c: harness/tcp_listeners.c finds a listening socket by its port, with
 * the inode the kernel gives the socket, and does not report a port nothing listens on. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcp_listeners.h"

static bool on_port(unsigned port, unsigned long inode, void *arg) {
  (void)inode;
  return port == *(const unsigned *)arg;
}

/* A socket on 127.0.0.1, port from the kernel; listening or only bound. Its port in *port. */
static int loopback_socket(bool listening, unsigned *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  if (listening) ck_assert_int_eq(listen(fd, 1), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

START_TEST(finds_a_listener_with_its_inode) {
  unsigned port;
  int fd = loopback_socket(true, &port);
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  unsigned long inode = 0;
  ck_assert_int_eq(tcp_listeners_find(on_port, &port, &inode), (int)port);
  ck_assert_uint_eq(inode, (unsigned long)st.st_ino);
  close(fd);
}
END_TEST

START_TEST(a_bound_socket_is_no_listener) {
  unsigned port;
  int fd = loopback_socket(false, &port);
  unsigned long inode = 0;
  ck_assert_int_eq(tcp_listeners_find(on_port, &port, &inode), 0);
  close(fd);
}
END_TEST

int main(void) {
  Suite *s = suite_create("tcp_listeners");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, finds_a_listener_with_its_inode);
  tcase_add_test(tc, a_bound_socket_is_no_listener);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
