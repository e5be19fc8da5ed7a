/* The program every example builds: a greeting, statically linked so it runs on busybox or scratch. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *greeting = getenv("GREETING");
    const char *name = argc > 1 ? argv[1] : "world";
    printf("%s, %s! (static binary from a multi-stage build)\n", greeting ? greeting : "Hello", name);
    return 0;
}
