/*
 * The probe that stands in for every service image in the Docker isolation tests.
 *
 * It is built statically (musl) into a tiny image so that vfs, which copies the whole root
 * filesystem for every container, stays fast. Two modes:
 *
 *   probe serve NAME SPEC...           SPEC = tcp/PORT | udp/PORT
 *       Binds every port on all addresses, prints "ready" once all are bound, then answers
 *       each TCP connection and each UDP datagram with one line "NAME PROTO PORT\n".
 *       A port that cannot be bound is fatal (exit 2, with the reason on stderr).
 *
 *   probe check TIMEOUT_MS TARGET...   TARGET = tcp:HOST:PORT | udp:HOST:PORT
 *       Probes every target concurrently (one child process each), resolving HOST with the
 *       container's own resolver (Docker's embedded DNS). Prints one line per target:
 *       "INDEX ok <reply>" or "INDEX err <reason>", reason one of dns, refused, timeout,
 *       unreachable, empty, or an errno name. Every wait is bounded by TIMEOUT_MS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 256

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void on_term(int sig) {
    (void)sig;
    _exit(0);
}

static int serve(const char *name, int nspecs, char **specs) {
    struct pollfd fds[MAX_SOCKETS];
    int udp[MAX_SOCKETS];
    int port[MAX_SOCKETS];
    if (nspecs > MAX_SOCKETS) {
        fprintf(stderr, "probe: at most %d ports\n", MAX_SOCKETS);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    for (int i = 0; i < nspecs; i++) {
        char proto[8];
        int p;
        if (sscanf(specs[i], "%7[a-z]/%d", proto, &p) != 2 || p < 1 || p > 65535 ||
            (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)) {
            fprintf(stderr, "probe: bad port spec %s (want tcp/PORT or udp/PORT)\n", specs[i]);
            return 2;
        }
        udp[i] = strcmp(proto, "udp") == 0;
        port[i] = p;
        int fd = socket(AF_INET, udp[i] ? SOCK_DGRAM : SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)p)};
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || (!udp[i] && listen(fd, 128) != 0)) {
            fprintf(stderr, "probe: cannot listen on %s: %s\n", specs[i], strerror(errno));
            return 2;
        }
        fds[i].fd = fd;
        fds[i].events = POLLIN;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        if (poll(fds, (nfds_t)nspecs, -1) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        for (int i = 0; i < nspecs; i++) {
            if (!(fds[i].revents & POLLIN)) continue;
            char reply[512];
            int n = snprintf(reply, sizeof reply, "%s %s %d\n", name, udp[i] ? "udp" : "tcp", port[i]);
            if (udp[i]) {
                char buf[512];
                struct sockaddr_storage peer;
                socklen_t len = sizeof peer;
                if (recvfrom(fds[i].fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&peer, &len) >= 0)
                    sendto(fds[i].fd, reply, (size_t)n, 0, (struct sockaddr *)&peer, len);
            } else {
                int c = accept(fds[i].fd, NULL, NULL);
                if (c >= 0) {
                    ssize_t ignored = write(c, reply, (size_t)n);
                    (void)ignored;
                    close(c);
                }
            }
        }
    }
}

static const char *reason(int err) {
    switch (err) {
    case ECONNREFUSED: return "refused";
    case ETIMEDOUT: return "timeout";
    case EHOSTUNREACH:
    case ENETUNREACH: return "unreachable";
    default: {
        static char other[32];
        snprintf(other, sizeof other, "errno-%d", err);
        return other;
    }
    }
}

static void emit(int index, const char *status, const char *detail) {
    char line[600];
    signal(SIGALRM, SIG_IGN); /* a result is final: the deadline timer must not add a second */
    int n = snprintf(line, sizeof line, "%d %s %s\n", index, status, detail);
    ssize_t ignored = write(STDOUT_FILENO, line, (size_t)n);  /* one write: lines never interleave */
    (void)ignored;
}

/* Wait (bounded by deadline) for fd to be ready for events; 0 on timeout. */
static int wait_for(int fd, short events, long deadline) {
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0) return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        return r > 0;
    }
}

/* What a probe was waiting for when its deadline passed; reported by the SIGALRM handler. */
static char alarm_line[64];
static void on_alarm(int sig) {
    (void)sig;
    ssize_t ignored = write(STDOUT_FILENO, alarm_line, strlen(alarm_line));
    (void)ignored;
    _exit(0);
}

static void check_one(int index, const char *target, long deadline) {
    char proto[8], host[256], port[16];
    /* getaddrinfo cannot be bounded by poll: Docker's embedded DNS never answers a name it
     * does not know when its upstream is unreachable, so the deadline is enforced by a timer. */
    snprintf(alarm_line, sizeof alarm_line, "%d err dns-timeout\n", index);
    signal(SIGALRM, on_alarm);
    long left = deadline - now_ms();
    if (left < 1) left = 1;
    struct itimerval timer = {.it_value = {.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    if (sscanf(target, "%7[a-z]:%255[^:]:%15s", proto, host, port) != 3) {
        emit(index, "err", "bad-target");
        return;
    }
    int is_udp = strcmp(proto, "udp") == 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = is_udp ? SOCK_DGRAM : SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL) {
        emit(index, "err", "dns");
        return;
    }
    snprintf(alarm_line, sizeof alarm_line, "%d err timeout\n", index);
    int fd = socket(AF_INET, ai->ai_socktype | SOCK_NONBLOCK, 0);
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0 && errno != EINPROGRESS) {
        emit(index, "err", reason(errno));
        return;
    }
    if (is_udp) {
        if (send(fd, "probe\n", 6, 0) < 0) {
            emit(index, "err", reason(errno));
            return;
        }
    } else {
        if (!wait_for(fd, POLLOUT, deadline)) {
            emit(index, "err", "timeout");
            return;
        }
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            emit(index, "err", reason(err));
            return;
        }
    }
    char buf[512];
    size_t got = 0;
    while (got < sizeof buf - 1 && (got == 0 || buf[got - 1] != '\n')) {
        if (!wait_for(fd, POLLIN, deadline)) {
            emit(index, "err", "timeout");
            return;
        }
        ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            emit(index, "err", reason(errno));
            return;
        }
        if (n == 0) break;
        got += (size_t)n;
        if (is_udp) break;
    }
    if (got == 0) {
        emit(index, "err", "empty");
        return;
    }
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r')) got--;
    buf[got] = '\0';
    emit(index, "ok", buf);
}

static int check(long timeout_ms, int ntargets, char **targets) {
    pid_t *pids = calloc((size_t)ntargets, sizeof *pids);
    long deadline = now_ms() + timeout_ms;
    for (int i = 0; i < ntargets; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            check_one(i, targets[i], deadline);
            _exit(0);
        }
        pids[i] = pid;
    }
    for (int i = 0; i < ntargets; i++) {
        int status = 0;
        if (pids[i] < 0) {
            emit(i, "err", "fork");
            continue;
        }
        waitpid(pids[i], &status, 0);
        if (!WIFEXITED(status)) emit(i, "err", "killed");
    }
    free(pids);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2], argc - 3, argv + 3);
    if (argc >= 3 && strcmp(argv[1], "check") == 0) return check(atol(argv[2]), argc - 3, argv + 3);
    fprintf(stderr, "usage: probe serve NAME tcp/PORT|udp/PORT...\n"
                    "       probe check TIMEOUT_MS tcp:HOST:PORT|udp:HOST:PORT...\n");
    return 2;
}
