/* libFuzzer target: fuzz_xml() of fuzz/harness.c. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A broken property is a finding, like a crash. */
	if (fuzz_xml(data, size) != 0)
		abort();
	return 0;
}
