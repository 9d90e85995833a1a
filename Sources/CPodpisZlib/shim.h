// zlib (Debian: zlib1g-dev, which libssl-dev and libcurl already pull in): the audit journal compresses what each
// entry stores beside its shared certificates.
#include <zlib.h>
