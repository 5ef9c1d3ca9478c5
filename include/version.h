/* The version every binary reports (mqttgwd --version, $SYS/broker/version, the pin stamp). */
#ifndef MQTTGW_VERSION_H
#define MQTTGW_VERSION_H

#define MQTTGW_VERSION "0.1.0"

#endif
