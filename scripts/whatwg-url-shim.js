// node-fetch 2 prefers Node's own URL and keeps whatwg-url (with tr46's 260 KB of tables) only as a
// fallback for old runtimes; the bundle gives it Node's URL instead.
'use strict';
const { URL, URLSearchParams } = require('url');
module.exports = { URL, URLSearchParams };
