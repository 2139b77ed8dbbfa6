/*
 * http_config.c - the [http] defaults, apart from the server so that the config parser
 * (and its tests) need no libmicrohttpd.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "exporters/http.h"

void http_config_default(struct http_config *c)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->listen[0];

	*c = (struct http_config){.enabled = true,
	                          .n_listen = 1,
	                          .max_connections = 32,
	                          .timeout_s = 10,
	                          .max_request = 8192};
	sin->sin_family = AF_INET;
	sin->sin_port = htons(9731);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}
