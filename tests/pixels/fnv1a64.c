/* fnv1a64.c - print the FNV-1a 64-bit hash of stdin as 16 lowercase hex digits.
 * Part of tests/pixels (independent pixel reference); compiled on the fly by
 * make_reference.py with `cc -O2`. Offset basis 0xcbf29ce484222325,
 * prime 0x100000001b3. Also prints the number of bytes read. */
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    static unsigned char buf[1 << 16];
    uint64_t h = 0xcbf29ce484222325ULL;
    unsigned long long total = 0;
    size_t n, i;

    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (i = 0; i < n; i++) {
            h ^= buf[i];
            h *= 0x100000001b3ULL;
        }
        total += n;
    }
    if (ferror(stdin))
        return 1;
    printf("%016llx %llu\n", (unsigned long long)h, total);
    return 0;
}
