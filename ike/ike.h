/*
 * ike.h - IANA and RFC 2407/2408/2409 protocol constants shared by the whole engine.
 *
 * Values are the numbers on the wire (and the numbers the MIB publishes), so they are
 * never renumbered.  Names follow the RFCs.
 */
#ifndef IKE_IKE_H
#define IKE_IKE_H

#include <stdint.h>

/* RFC 2408 3.1: ISAKMP header */
#define ISAKMP_HDR_LEN     28
#define ISAKMP_GEN_HDR_LEN 4    /* generic payload header */
#define ISAKMP_VERSION     0x10 /* major 1, minor 0 */
#define ISAKMP_COOKIE_LEN  8
#define IKE_MAX_MSG        65535 /* largest datagram we build or accept */

/* RFC 2408 3.1: header flags */
#define ISAKMP_FLAG_ENC    0x01
#define ISAKMP_FLAG_COMMIT 0x02
#define ISAKMP_FLAG_AUTH   0x04

/* RFC 2408 3.1, RFC 3947: next payload types */
enum isakmp_payload_type {
	ISAKMP_NP_NONE = 0,
	ISAKMP_NP_SA = 1,
	ISAKMP_NP_P = 2,
	ISAKMP_NP_T = 3,
	ISAKMP_NP_KE = 4,
	ISAKMP_NP_ID = 5,
	ISAKMP_NP_CERT = 6,
	ISAKMP_NP_CR = 7,
	ISAKMP_NP_HASH = 8,
	ISAKMP_NP_SIG = 9,
	ISAKMP_NP_NONCE = 10,
	ISAKMP_NP_N = 11,
	ISAKMP_NP_D = 12,
	ISAKMP_NP_VID = 13,
	ISAKMP_NP_NAT_D = 20,
	ISAKMP_NP_NAT_OA = 21,
	ISAKMP_NP_NAT_D_DRAFT = 130,
	ISAKMP_NP_NAT_OA_DRAFT = 131,
};

/* RFC 2408 3.1: exchange types */
enum isakmp_exchange_type {
	ISAKMP_XCHG_NONE = 0,
	ISAKMP_XCHG_BASE = 1,
	ISAKMP_XCHG_IDPROT = 2, /* Main Mode */
	ISAKMP_XCHG_AUTH_ONLY = 3,
	ISAKMP_XCHG_AGGR = 4, /* Aggressive Mode */
	ISAKMP_XCHG_INFO = 5,
	ISAKMP_XCHG_QUICK = 32,
};

/* RFC 2407 4.2 / 2408: DOI and situation */
#define ISAKMP_DOI_IPSEC         1
#define IPSEC_SIT_IDENTITY_ONLY  1
#define ISAKMP_PROTO_ISAKMP      1
#define ISAKMP_TRANSFORM_KEY_IKE 1

/* RFC 2409 appendix A: phase-1 attribute classes (TV when < 0x8000 flag set) */
#define ISAKMP_ATTR_AF 0x8000 /* attribute format bit: 1 = TV */
enum ike_attr_class {
	IKE_ATTR_ENCRYPTION_ALGORITHM = 1,
	IKE_ATTR_HASH_ALGORITHM = 2,
	IKE_ATTR_AUTHENTICATION_METHOD = 3,
	IKE_ATTR_GROUP_DESCRIPTION = 4,
	IKE_ATTR_GROUP_TYPE = 5,
	IKE_ATTR_LIFE_TYPE = 11,
	IKE_ATTR_LIFE_DURATION = 12,
	IKE_ATTR_PRF = 13,
	IKE_ATTR_KEY_LENGTH = 14,
};

/* RFC 2409 appendix A: encryption algorithm values */
enum ike_encr {
	IKE_ENCR_NONE = 0,
	IKE_ENCR_DES_CBC = 1,
	IKE_ENCR_3DES_CBC = 5,
	IKE_ENCR_AES_CBC = 7,
};

/* RFC 2409 appendix A, RFC 4868 (IANA "IPsec IKE hash algorithm") */
enum ike_hash {
	IKE_HASH_NONE = 0,
	IKE_HASH_MD5 = 1,
	IKE_HASH_SHA1 = 2,
	IKE_HASH_SHA2_256 = 4,
	IKE_HASH_SHA2_384 = 5,
	IKE_HASH_SHA2_512 = 6,
};

/* RFC 2409 appendix A: authentication method */
enum ike_auth {
	IKE_AUTH_NONE = 0,
	IKE_AUTH_PSK = 1,
	IKE_AUTH_DSS = 2,
	IKE_AUTH_RSA_SIG = 3,
	IKE_AUTH_ECDSA_256 = 9,  /* RFC 4754: P-256 with SHA-256 */
	IKE_AUTH_ECDSA_384 = 10, /* P-384 with SHA-384 */
	IKE_AUTH_ECDSA_521 = 11, /* P-521 with SHA-512 */
};

/* RFC 2408 3.9: certificate encodings of the CERT and CERTREQ payloads */
#define ISAKMP_CERT_X509_SIG 4 /* X.509 certificate, signature */
#define ISAKMP_CERT_CRL      7 /* certificate revocation list */

/* IANA group descriptions (RFC 2409, 3526, 5903) */
enum ike_group {
	IKE_GROUP_NONE = 0,
	IKE_GROUP_MODP1024 = 2,
	IKE_GROUP_MODP2048 = 14,
	IKE_GROUP_MODP3072 = 15,
	IKE_GROUP_MODP4096 = 16,
	IKE_GROUP_ECP256 = 19,
	IKE_GROUP_ECP384 = 20,
};

#define IKE_LIFE_TYPE_SECONDS   1
#define IKE_LIFE_TYPE_KILOBYTES 2

/* RFC 2407 4.6.2.1: identification types */
enum ike_id_type {
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_USER_FQDN = 3,
	IKE_ID_IPV4_ADDR_SUBNET = 4,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_IPV6_ADDR_SUBNET = 6,
	IKE_ID_IPV4_ADDR_RANGE = 7,
	IKE_ID_IPV6_ADDR_RANGE = 8,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_KEY_ID = 11,
};

/* RFC 2408 3.14.1: notify message types (errors below 8192, status above) */
enum isakmp_notify_type {
	ISAKMP_N_INVALID_PAYLOAD_TYPE = 1,
	ISAKMP_N_DOI_NOT_SUPPORTED = 2,
	ISAKMP_N_SITUATION_NOT_SUPPORTED = 3,
	ISAKMP_N_INVALID_COOKIE = 4,
	ISAKMP_N_INVALID_MAJOR_VERSION = 5,
	ISAKMP_N_INVALID_MINOR_VERSION = 6,
	ISAKMP_N_INVALID_EXCHANGE_TYPE = 7,
	ISAKMP_N_INVALID_FLAGS = 8,
	ISAKMP_N_INVALID_MESSAGE_ID = 9,
	ISAKMP_N_INVALID_PROTOCOL_ID = 10,
	ISAKMP_N_INVALID_SPI = 11,
	ISAKMP_N_INVALID_TRANSFORM_ID = 12,
	ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED = 13,
	ISAKMP_N_NO_PROPOSAL_CHOSEN = 14,
	ISAKMP_N_BAD_PROPOSAL_SYNTAX = 15,
	ISAKMP_N_PAYLOAD_MALFORMED = 16,
	ISAKMP_N_INVALID_KEY_INFORMATION = 17,
	ISAKMP_N_INVALID_ID_INFORMATION = 18,
	ISAKMP_N_INVALID_CERT_ENCODING = 19,
	ISAKMP_N_INVALID_CERTIFICATE = 20,
	ISAKMP_N_CERT_TYPE_UNSUPPORTED = 21,
	ISAKMP_N_INVALID_CERT_AUTHORITY = 22,
	ISAKMP_N_INVALID_HASH_INFORMATION = 23,
	ISAKMP_N_AUTHENTICATION_FAILED = 24,
	ISAKMP_N_INVALID_SIGNATURE = 25,
	ISAKMP_N_ADDRESS_NOTIFICATION = 26,
	ISAKMP_N_NOTIFY_SA_LIFETIME = 27,
	ISAKMP_N_CERTIFICATE_UNAVAILABLE = 28,
	ISAKMP_N_UNSUPPORTED_EXCHANGE_TYPE = 29,
	ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS = 30,
	ISAKMP_N_ERROR_MAX = 8191,
	ISAKMP_N_CONNECTED = 16384,
	IPSEC_N_RESPONDER_LIFETIME = 24576,
	IPSEC_N_REPLAY_STATUS = 24577,
	IPSEC_N_INITIAL_CONTACT = 24578,
	DPD_N_R_U_THERE = 36136, /* RFC 3706 */
	DPD_N_R_U_THERE_ACK = 36137,
};

/* RFC 2407 4.4.1: protocol identifiers (phase 2) */
enum ipsec_proto {
	IPSEC_PROTO_AH = 2,
	IPSEC_PROTO_ESP = 3,
	IPSEC_PROTO_IPCOMP = 4,
};

/* RFC 2407 4.4.4: ESP transform identifiers */
enum ipsec_esp_id {
	ESP_DES = 2,
	ESP_3DES = 3,
	ESP_NULL = 11,
	ESP_AES = 12, /* AES-CBC, RFC 3602; key length attribute required */
};

/* RFC 2407 4.5: IPsec SA attribute classes */
enum ipsec_attr_class {
	IPSEC_ATTR_SA_LIFE_TYPE = 1,
	IPSEC_ATTR_SA_LIFE_DURATION = 2,
	IPSEC_ATTR_GROUP_DESCRIPTION = 3,
	IPSEC_ATTR_ENCAPSULATION_MODE = 4,
	IPSEC_ATTR_AUTH_ALGORITHM = 5,
	IPSEC_ATTR_KEY_LENGTH = 6,
};

/* RFC 2407 4.5, RFC 3947 (and the draft values older peers send) */
enum ipsec_encap_mode {
	IPSEC_MODE_TUNNEL = 1,
	IPSEC_MODE_TRANSPORT = 2,
	IPSEC_MODE_UDP_TUNNEL = 3,
	IPSEC_MODE_UDP_TRANSPORT = 4,
	IPSEC_MODE_UDP_TUNNEL_DRAFT = 61443,
	IPSEC_MODE_UDP_TRANSPORT_DRAFT = 61444,
};

/* RFC 2407 4.5 and IANA: IPsec authentication algorithms */
enum ipsec_auth_alg {
	IPSEC_AUTH_NONE = 0,
	IPSEC_AUTH_HMAC_MD5 = 1,
	IPSEC_AUTH_HMAC_SHA1 = 2,
	IPSEC_AUTH_HMAC_SHA2_256 = 5,
	IPSEC_AUTH_HMAC_SHA2_384 = 6,
	IPSEC_AUTH_HMAC_SHA2_512 = 7,
};

#define IPSEC_LIFE_TYPE_SECONDS   1
#define IPSEC_LIFE_TYPE_KILOBYTES 2

/* RFC 3947: NAT traversal ports and the non-ESP marker on port 4500 */
#define IKE_PORT           500
#define IKE_NATT_PORT      4500
#define NON_ESP_MARKER_LEN 4

/* Name of a notify type for logs and the CLI ("NO-PROPOSAL-CHOSEN"); never NULL. */
const char *isakmp_notify_name(uint16_t type);

#endif /* IKE_IKE_H */
