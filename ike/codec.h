/*
 * codec.h - ISAKMP (RFC 2408) message parsing and building.
 *
 * Parsing never copies: a parsed message holds pointers into the caller's datagram, and
 * every length is checked against the datagram and the enclosing payload before use.
 * Building writes into a bounded buffer; an overflow is sticky and reported at the end.
 */
#ifndef IKE_CODEC_H
#define IKE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike.h"

/* Why a datagram or payload was rejected; each is counted separately by the engine. */
enum codec_err {
	CODEC_OK = 0,
	CODEC_SHORT = -1,       /* shorter than the ISAKMP header or a payload header */
	CODEC_BAD_LENGTH = -2,  /* a length field disagrees with the data around it */
	CODEC_BAD_VERSION = -3, /* major version is not 1 */
	CODEC_BAD_PAYLOAD = -4, /* unknown payload type, or one not allowed here */
	CODEC_TOO_MANY = -5,    /* more payloads/proposals/transforms/attributes than we keep */
	CODEC_BAD_VALUE = -6,   /* a field holds a value the RFC forbids */
};

/* "short", "bad-length", ...; never NULL. */
const char *codec_err_name(int err);

struct isakmp_hdr {
	uint8_t icookie[8];
	uint8_t rcookie[8];
	uint8_t np;      /* first payload */
	uint8_t version; /* major << 4 | minor */
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;  /* host order */
	uint32_t length; /* host order */
};

/*
 * Parse the 28-byte header.  Checks: len >= 28, major version 1, header length field
 * equal to len (RFC 2408 3.1: a longer field is truncated input, a shorter one trailing
 * garbage; both rejected as CODEC_BAD_LENGTH).
 */
int isakmp_hdr_parse(const uint8_t *buf, size_t len, struct isakmp_hdr *h);

/* Write a header (length filled in later by msg_finish). */
void isakmp_hdr_write(uint8_t *buf, const struct isakmp_hdr *h);

/* Set the length field of a built header (after encryption changed the length). */
void isakmp_hdr_set_length(uint8_t *buf, size_t len);

#define ISAKMP_MAX_PAYLOADS 24

struct isakmp_payload {
	uint8_t type;
	const uint8_t *body; /* after the 4-byte generic header */
	size_t len;          /* body length */
};

struct isakmp_msg {
	struct isakmp_hdr hdr;
	size_t n;
	struct isakmp_payload p[ISAKMP_MAX_PAYLOADS];
};

/*
 * Walk the payload chain that starts with type first_np over buf/len (the data after the
 * header, decrypted when it was encrypted).  Each generic header length must be >= 4 and
 * fit in what is left; a reserved byte that is not zero is CODEC_BAD_VALUE.  Bytes left
 * after the last payload are allowed only when allow_trailing (encryption padding).
 */
int isakmp_payloads_parse(uint8_t first_np, const uint8_t *buf, size_t len, bool allow_trailing,
                          struct isakmp_msg *m);

/* Parse a whole datagram (header + plaintext payload chain). */
int isakmp_msg_parse(const uint8_t *buf, size_t len, struct isakmp_msg *m);

/* First payload of a type at index >= *from (pass NULL to start at 0); sets *from past it. */
const struct isakmp_payload *isakmp_msg_find(const struct isakmp_msg *m, uint8_t type,
                                             size_t *from);
/* Number of payloads of a type. */
size_t isakmp_msg_count(const struct isakmp_msg *m, uint8_t type);

/* ---- SA payload (RFC 2408 3.4-3.6, RFC 2407 4.6.1) ---- */

#define ISAKMP_MAX_PROPOSALS  16
#define ISAKMP_MAX_TRANSFORMS 32
#define ISAKMP_MAX_ATTRS      20
#define ISAKMP_MAX_SPI        16

struct isakmp_attr {
	uint16_t type;       /* without the AF bit */
	bool tv;             /* TV (2-byte value) vs TLV */
	uint32_t value;      /* TV value, or TLV value when it is 1..4 bytes long */
	const uint8_t *data; /* TLV value bytes */
	uint16_t len;        /* TLV length (0 for TV) */
};

struct isakmp_transform {
	uint8_t number;
	uint8_t id;
	size_t n_attrs;
	struct isakmp_attr attrs[ISAKMP_MAX_ATTRS];
};

struct isakmp_proposal {
	uint8_t number;
	uint8_t protocol;
	uint8_t spi_len;
	uint8_t spi[ISAKMP_MAX_SPI];
	size_t n_transforms;
	struct isakmp_transform transforms[ISAKMP_MAX_TRANSFORMS];
};

struct isakmp_sa {
	uint32_t doi;
	uint32_t situation;
	size_t n_proposals;
	struct isakmp_proposal proposals[ISAKMP_MAX_PROPOSALS];
};

/*
 * Parse an SA payload body (DOI, situation, proposal payloads, transform payloads,
 * attributes).  Proposal and transform payloads must chain with NP 2 / 3 and 0 for the
 * last; the number of transforms must match the proposal's count.
 */
int isakmp_sa_parse(const uint8_t *body, size_t len, struct isakmp_sa *sa);

/* Attribute of a type in a transform, NULL when absent. */
const struct isakmp_attr *isakmp_transform_attr(const struct isakmp_transform *t, uint16_t type);

/* ---- other payload bodies ---- */

struct isakmp_id {
	uint8_t type;
	uint8_t protocol;
	uint16_t port;
	const uint8_t *data;
	size_t len;
};
int isakmp_id_parse(const uint8_t *body, size_t len, struct isakmp_id *id);

struct isakmp_notify {
	uint32_t doi;
	uint8_t protocol;
	uint8_t spi_len;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};
int isakmp_notify_parse(const uint8_t *body, size_t len, struct isakmp_notify *n);

struct isakmp_delete {
	uint32_t doi;
	uint8_t protocol;
	uint8_t spi_len;
	uint16_t n_spis;
	const uint8_t *spis; /* n_spis * spi_len bytes */
};
int isakmp_delete_parse(const uint8_t *body, size_t len, struct isakmp_delete *d);

/*
 * CERT and CERTREQ bodies (RFC 2408 3.9, 3.10): an encoding octet (ISAKMP_CERT_*), then
 * the data: a certificate, or for CERTREQ a CA's DER name (possibly empty).
 */
struct isakmp_cert {
	uint8_t encoding;
	const uint8_t *data;
	size_t len;
};
int isakmp_cert_parse(const uint8_t *body, size_t len, struct isakmp_cert *c);

/* ---- building ---- */

struct msg_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t np_at;  /* offset of the "next payload" byte to patch for the next payload */
	bool overflow; /* sticky */
};

/* Start a message with a header (np and length patched as payloads are added). */
void msg_init(struct msg_builder *b, uint8_t *buf, size_t cap, const struct isakmp_hdr *h);

/* Start a payload: writes the generic header and links it into the chain; returns its
 * offset for msg_payload_end. */
size_t msg_payload_begin(struct msg_builder *b, uint8_t type);
/* Close a payload begun at off: fills its length. */
void msg_payload_end(struct msg_builder *b, size_t off);

/* Append raw bytes / integers (network order) to the current payload. */
void msg_put(struct msg_builder *b, const void *data, size_t len);
void msg_put_u8(struct msg_builder *b, uint8_t v);
void msg_put_u16(struct msg_builder *b, uint16_t v);
void msg_put_u32(struct msg_builder *b, uint32_t v);
/* Attribute: TV when value < 0x10000 and the type allows it, else TLV with a 4-byte value. */
void msg_put_attr(struct msg_builder *b, uint16_t type, uint32_t value);

/* Append a whole payload with body bytes. */
void msg_payload(struct msg_builder *b, uint8_t type, const void *body, size_t len);

/* Fill in the header length; returns the message length, or 0 on overflow. */
size_t msg_finish(struct msg_builder *b);

#endif /* IKE_CODEC_H */
