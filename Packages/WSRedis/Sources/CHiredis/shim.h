// hiredis (Debian's libhiredis-dev): its RESP reader and command formatter, which WSRedis
// runs on SwiftNIO's sockets. Its own connections and event loops are not used.
#include <hiredis/hiredis.h>
