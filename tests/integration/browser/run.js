// SPDX-License-Identifier: MIT
// Driven by tests/integration/t_ws_browser.sh: MQTT.js (its browser bundle) in headless
// Chromium, started by puppeteer-core, connects to the broker over each URL given, with MQTT 5
// and MQTT 3.1.1 (protocolVersion 5 and 4), subscribes to br/#, and must see: the retained
// message br/kept ("k", published before by mosquitto_pub, retain flag set), its own message,
// and one published by mosquitto_pub (run here, on the node side) while it is subscribed.
// Prints one line per case; the shell test asserts them exactly.
//
// node run.js --chromium PATH --host H --port P [--spki HASH] [--user-data DIR]
//             [--expect-fail] URL...
// --spki: the server key's SPKI hash (base64 SHA-256) Chromium is to trust
// (--ignore-certificate-errors-spki-list: only that key; every other certificate error
// stays an error). --expect-fail: each URL must fail to connect (an untrusted wss://).
'use strict';
const { execFile } = require('child_process');
const path = require('path');
const puppeteer = require('puppeteer-core');

const args = { urls: [] };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '--expect-fail') args.expectFail = true;
	else if (a.startsWith('--')) args[a.slice(2)] = process.argv[++i];
	else args.urls.push(a);
}

// every step is bounded: the whole run too
const overall = setTimeout(() => {
	console.error('run.js: timed out after 150 s');
	process.exit(3);
}, 150000);

// mosquitto_pub on the node side (the client namespace), bounded by its own timeout
function mosquittoPub(topic, msg) {
	return new Promise((resolve, reject) => {
		execFile('timeout', ['10', 'mosquitto_pub', '-h', args.host, '-p', args.port,
			'-q', '1', '-t', topic, '-m', msg], (err, _out, stderr) =>
			err ? reject(new Error(`mosquitto_pub: ${err.message} ${stderr}`)) : resolve());
	});
}

// In the page: one client, one case. Resolves with what it saw, rejects on a timeout or error.
async function pageCase(url, v, id) {
	/* global mqtt */
	const got = [];
	const seen = (t) => got.find((m) => m.topic === t);
	const c = mqtt.connect(url, {
		protocolVersion: v, clientId: id, clean: true, reconnectPeriod: 0,
		connectTimeout: 15000,
	});
	const until = (what, cond, ms) => new Promise((resolve, reject) => {
		const t0 = Date.now();
		const tick = () => {
			if (cond()) return resolve();
			if (Date.now() - t0 > ms) return reject(new Error(`timeout waiting for ${what}`));
			setTimeout(tick, 20);
		};
		tick();
	});
	c.on('message', (topic, payload, pkt) =>
		got.push({ topic, payload: new TextDecoder().decode(payload), retain: pkt.retain }));
	let err = null;
	c.on('error', (e) => { err = e; });
	try {
		await until('CONNACK', () => c.connected || err, 20000);
		if (err) throw err;
		await c.subscribeAsync('br/#', { qos: 1 });
		await until('the retained message', () => seen('br/kept'), 10000);
		await c.publishAsync(`br/self/${id}`, `self-${id}`, { qos: 1 });
		await until('its own message', () => seen(`br/self/${id}`), 10000);
		await window.mosquittoPub(`br/live/${id}`, `live-${id}`);
		await until('the message of mosquitto_pub', () => seen(`br/live/${id}`), 10000);
	} finally {
		c.end(true);
	}
	const show = (t) => { const m = seen(t); return `${m.payload}${m.retain ? ' (retained)' : ''}`; };
	return `kept=${show('br/kept')} self=${show(`br/self/${id}`)} live=${show(`br/live/${id}`)}`;
}

// In the page: the connection must fail (error or close before any CONNACK).
async function pageFail(url, id) {
	/* global mqtt */
	const c = mqtt.connect(url, { clientId: id, reconnectPeriod: 0, connectTimeout: 15000 });
	const r = await new Promise((resolve) => {
		const t = setTimeout(() => resolve('no answer'), 20000);
		c.on('connect', () => { clearTimeout(t); resolve('connected'); });
		c.on('error', () => { clearTimeout(t); resolve('refused'); });
		c.on('close', () => { clearTimeout(t); resolve('refused'); });
	});
	c.end(true);
	return r;
}

(async () => {
	const flags = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
		'--no-first-run', '--disable-extensions'];
	if (args.spki) flags.push(`--ignore-certificate-errors-spki-list=${args.spki}`);
	const browser = await puppeteer.launch({
		executablePath: args.chromium, headless: true, args: flags,
		userDataDir: args['user-data'], timeout: 60000, protocolTimeout: 60000,
	});
	let rc = 0;
	try {
		const page = await browser.newPage();
		page.on('console', (m) => console.error(`page: ${m.text()}`));
		await page.exposeFunction('mosquittoPub', mosquittoPub);
		await page.addScriptTag({
			path: path.join(__dirname, 'node_modules/mqtt/dist/mqtt.min.js'),
		});
		for (const url of args.urls) {
			const scheme = url.split(':')[0];
			if (args.expectFail) {
				const r = await page.evaluate(pageFail, url, `br-${scheme}-untrusted`);
				console.log(`${scheme} untrusted: ${r}`);
				continue;
			}
			for (const v of [5, 4]) {
				const id = `br-${scheme}${v}`;
				try {
					const r = await page.evaluate(pageCase, url, v, id);
					console.log(`${scheme} v${v}: ${r}`);
				} catch (e) {
					console.log(`${scheme} v${v}: FAILED ${e.message.split('\n')[0]}`);
					rc = 1;
				}
			}
		}
	} finally {
		await browser.close();
	}
	clearTimeout(overall);
	process.exit(rc);
})().catch((e) => {
	console.error(`run.js: ${e.stack || e}`);
	process.exit(2);
});
