/*
 * xmlname: what may be an element or attribute name in xfer's XML files
 * (the job's xml_root and xml_record, and column names).
 *
 * An XML 1.0 (fifth edition) Name without ':': xfer does not speak
 * namespaces, and a name with a prefix nobody declared breaks every
 * namespace-aware reader of the partner.  So "amount", "_id", "금액",
 * "unit.price" and "a-b" are names; "1st", "a b", "a:b", "" are not.
 */
#ifndef XFER_XMLNAME_H
#define XFER_XMLNAME_H

#include <stddef.h>

/* 1 when s[0..len) (UTF-8) is such a name, else 0. */
int xml_name_ok(const char *s, size_t len);

#endif
