/*
 * dbsession: see dbsession.h.
 */
#include "dbsession.h"

#include <stddef.h>

void
dbsession_close(struct dbsession *s)
{
	if (s == NULL || s->conn == NULL)
		return;
	if (s->close != NULL)
		s->close(s->conn);
	s->conn = NULL;
	s->close = NULL;
}
