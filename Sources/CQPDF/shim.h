// qpdf's C API (Debian: libqpdf-dev) reads PDF objects for PodpisPDF. The few streams podpis decodes or writes
// itself (xref and object streams, DSS entries, the stamp's font) go through SigningCore's bounded Flate (zlib).
#include <qpdf/qpdf-c.h>
