// zlib (Debian: zlib1g-dev), used to read .gz review files in SeqRec/Data.
#include <zlib.h>
