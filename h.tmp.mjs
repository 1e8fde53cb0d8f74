import net from 'node:net';
const port = Number(process.argv[2]);
const lat = [];
async function ping() {
  return new Promise((resolve) => {
    const t = performance.now();
    const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
    s.on('data', () => { resolve(performance.now() - t); s.destroy(); });
    s.on('error', () => resolve(-1));
  });
}
const end = Date.now() + Number(process.argv[3]);
while (Date.now() < end) { lat.push(await ping()); await new Promise(r => setTimeout(r, 100)); }
lat.sort((a,b)=>b-a); console.log('max latencies', lat.slice(0,8).map(x=>x.toFixed(0)).join(' '), 'n', lat.length);
