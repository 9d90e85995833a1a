// qpdf's C API (Debian: libqpdf-dev) reads PDF objects for PodpisPDF; zlib (which qpdf links anyway) inflates the
// few streams podpis decodes itself under a size bound (xref and object streams, DSS entries) and deflates the
// embedded stamp font.
#include <qpdf/qpdf-c.h>
#include <zlib.h>
