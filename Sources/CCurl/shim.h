#ifndef PODPIS_CCURL_SHIM_H
#define PODPIS_CCURL_SHIM_H
#include <curl/curl.h>
#endif
