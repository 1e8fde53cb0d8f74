// The image's HEALTHCHECK: GET /healthz on the HTTP port (BROKER_HTTP_PORT, else the
// default 9121). The process is alive when its HTTP server answers: 200, or 401
// when requirepass guards /healthz (http-metrics-auth yes), which this check does
// not know when the password is in a config file. Node's own http module: the slim
// base image has no curl or wget.
import http from 'node:http';

const port = Number(process.env.BROKER_HTTP_PORT || 9121);
http
  .get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => process.exit(res.statusCode === 200 || res.statusCode === 401 ? 0 : 1))
  .on('timeout', () => process.exit(1))
  .on('error', () => process.exit(1));
