import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressCount, bareSecondsWarning, parseDuration, parseHost, parseHostPattern, parseHostPorts, parsePorts, parseTargetGroups, parseTargets, parseWait } from '../../src/target/parse';
import { BUILT_IN_SERVICES, parseServices, serviceTable } from '../../src/target/services';
import { UsageError } from '../../src/usage';

describe('durations', () => {
  const good: [string, number][] = [
    ['250ms', 250], ['2s', 2000], ['1.5s', 1500], ['1m', 60_000], ['1h', 3_600_000], ['0.5m', 30_000],
    ['2', 2000], ['0.5', 500], ['1.25', 1250], ['0', 0], ['2147483.647', 2 ** 31 - 1],
  ];
  for (const [text, ms] of good) it(`${text} is ${ms} ms (a bare number is seconds)`, () => assert.equal(parseDuration(text, 'd', 0), ms));
  it('refuses units it does not know, signs, blanks, and more than poll() can take', () => {
    for (const text of ['1d', '-1s', ' 1s', '1 s', 's', '', '1e3', '.5', '5.', '24.9d', '2147484s', '2147483.648', '597h']) {
      assert.throws(() => parseDuration(text, 'd', 0), UsageError, text);
    }
  });
  it('enforces the minimum', () => {
    assert.throws(() => parseDuration('0', '--timeout', 1), /at least 1ms/);
    assert.throws(() => parseDuration('0.0001', '--timeout', 1), /at least 1ms/);
  });
  it('--wait: inf or zero is no deadline (wait-for-it -t 0); anything else is a duration', () => {
    for (const text of ['inf', '0', '0s', '0.0', '00ms']) assert.equal(parseWait(text, '--wait'), Infinity, text);
    assert.equal(parseWait('30', '--wait'), 30_000);
    assert.equal(parseWait('250ms', '--wait'), 250);
    for (const text of ['0.0001', 'infinity', 'forever', '-1']) assert.throws(() => parseWait(text, '--wait'), UsageError, text);
  });
  it('a bare number from 100 up is said back in seconds, with the milliseconds it may have meant', () => {
    assert.equal(bareSecondsWarning('500', '--timeout'), '--timeout 500 is 500 seconds; did you mean 500ms?');
    assert.equal(bareSecondsWarning('100', '--interval'), '--interval 100 is 100 seconds; did you mean 100ms?');
    for (const text of ['99', '99.9', '500ms', '500s', '2m']) assert.equal(bareSecondsWarning(text, '--timeout'), undefined, text);
  });
});

describe('hosts', () => {
  it('tells addresses from names', () => {
    assert.equal(parseHost('127.0.0.1').kind, 'address');
    assert.equal(parseHost('[::1]').kind, 'address');
    assert.equal(parseHost('localhost').kind, 'name');
    assert.equal(parseHost('db-1.example.').kind, 'name');
  });
  it('resolves a link-local scope name to its interface index, and takes a numeric scope as it is', () => {
    const host = parseHost('fe80::1%lo');
    assert.ok(host.kind === 'address' && host.address.scopeId > 0 && host.address.scopeName === 'lo');
    const numeric = parseHost('fe80::1%7');
    assert.ok(numeric.kind === 'address' && numeric.address.scopeId === 7);
  });
  it('a scope id is a uint32 from 1 (0 is no scope); a link-local address (fe80::/10) needs one', () => {
    const widest = parseHost('fe80::1%4294967295');
    assert.ok(widest.kind === 'address' && widest.address.scopeId === 4294967295);
    for (const text of ['fe80::1%4294967296', 'fe80::1%0', 'fe80::1%']) assert.throws(() => parseHost(text), UsageError, text);
    assert.throws(() => parseHost('fe80::1'), /link-local address 'fe80::1' needs a scope/);
    assert.throws(() => parseHost('[FEBF::2]'), /link-local address 'FEBF::2' needs a scope/);
    for (const text of ['fec0::1', 'fe7f::1', '::1', '2001:db8::1']) assert.equal(parseHost(text).kind, 'address', text);
  });
  it('names: underscores accepted (docker-compose v1: project_db_1)', () => {
    assert.deepEqual(parseHost('project_db_1'), { kind: 'name', text: 'project_db_1' });
    assert.deepEqual(parseHost('_service._tcp.example'), { kind: 'name', text: '_service._tcp.example' });
  });
  it('international names become their ASCII form (url.domainToASCII), which is what is resolved and shown', () => {
    assert.deepEqual(parseHost('bücher.example'), { kind: 'name', text: 'xn--bcher-kva.example' });
    assert.deepEqual(parseHost('MÜNCHEN'), { kind: 'name', text: 'xn--mnchen-3ya' });
    assert.deepEqual(parseTargets(['☃.net:80']).map((t) => t.host.text), ['xn--n3h.net']);
    for (const text of ['ü..example', 'a\u0000ü', '１２７.０.０.１', 'ü'.repeat(300)]) {
      assert.throws(() => parseHost(text), /is not a valid international domain name/, text);
    }
  });
  it('refuses digit-and-dot typos instead of treating them as names', () => {
    for (const text of ['127.1', '1.2.3.256', '10..1.1']) assert.throws(() => parseHost(text), /host must be/);
  });
});

describe('targets', () => {
  const show = (args: string[]) => parseTargets(args).map((t) => `${t.host.text}/${t.port}`);
  it('HOST PORT, HOST PORTS, and any number of HOST:PORTS and [IPV6]:PORTS, in the order given', () => {
    assert.deepEqual(show(['::1', '80']), ['::1/80']);
    assert.deepEqual(show(['127.0.0.1', '8001-8003,22']), ['127.0.0.1/8001', '127.0.0.1/8002', '127.0.0.1/8003', '127.0.0.1/22']);
    assert.deepEqual(show(['localhost:8080', '[fe80::1%lo]:443', '127.0.0.1:1,2']), [
      'localhost/8080', 'fe80::1%lo/443', '127.0.0.1/1', '127.0.0.1/2',
    ]);
    assert.deepEqual(show(['127.0.0.1:80', '[::1]:80']), ['127.0.0.1/80', '::1/80']);
  });
  it('HOST then every later argument is PORTS, as nc -z host 80 443; each port of the host once', () => {
    assert.deepEqual(show(['127.0.0.1', '80', '443']), ['127.0.0.1/80', '127.0.0.1/443']);
    assert.deepEqual(show(['::1', '22', '8000-8001', '22,9']), ['::1/22', '::1/8000', '::1/8001', '::1/9']);
    assert.deepEqual(show(['[fe80::1%lo]', '80', '81']), ['fe80::1%lo/80', 'fe80::1%lo/81']);
  });
  it('the two forms do not mix', () => {
    assert.throws(() => parseTargets(['127.0.0.1', '80', '127.0.0.1:81']), /'127\.0\.0\.1:81' is a whole target, after HOST '127\.0\.0\.1': HOST PORTS\.\.\. and HOST:PORTS\.\.\. do not mix/);
    assert.throws(() => parseTargets(['::1', '80', '[::1]:81']), /do not mix/);
    assert.throws(() => parseTargets(['127.0.0.1:80', '443']), /'443' is not a HOST:PORTS target: .* do not mix/);
  });
  it('ports: lists and ranges, each port once, ranges going up', () => {
    assert.deepEqual(parsePorts('3,1-3'), [3, 1, 2]);
    assert.equal(parsePorts('1-65535').length, 65535);
    assert.throws(() => parsePorts('10-1'), /port range must go up, not '10-1'/);
    assert.throws(() => parsePorts('1-65536'), /port .* not '65536'/);
    assert.throws(() => parsePorts('1,,2'), /port .* not ''/);
  });
  it('refuses an IPv6 address without brackets before a port', () => {
    assert.throws(() => parseHostPorts('::1:80'), /target must be/);
  });
});

describe('URL forms: dockerize and wait-on spellings of HOST:PORT', () => {
  const show = (args: string[]) => parseTargets(args).map((t) => `${t.host.text}/${t.port}`);
  const table: [string, string][] = [
    ['tcp://db:5432', 'db/5432'],
    ['tcp://127.0.0.1:80', '127.0.0.1/80'],
    ['tcp://[::1]:6379', '::1/6379'],
    ['TCP://db:5432', 'db/5432'],
    ['tcp:db:5432', 'db/5432'],
    ['tcp:[::1]:80', '::1/80'],
    ['tcp:5432', 'localhost/5432'],
    ['tcp:ssh', 'localhost/22'],
  ];
  for (const [text, target] of table) it(`${text} is ${target}`, () => assert.deepEqual(show([text]), [target]));
  it('URLs are whole targets, and mix with HOST:PORTS', () => {
    assert.deepEqual(show(['tcp://db:1', 'cache:2', 'tcp:3']), ['db/1', 'cache/2', 'localhost/3']);
    assert.throws(() => parseTargets(['tcp://db:1', '2']), /'2' is not a HOST:PORTS target/);
  });
  it('tcp: and unix: are always schemes (unix: a unix socket, below); any other scheme says only TCP and unix sockets are probed', () => {
    assert.deepEqual(show(['unix:/run/app.sock', 'UNIX:///run/app.sock']), ['unix:/run/app.sock/null', 'unix:/run/app.sock/null']);
    assert.throws(() => parseTargets(['http://db:80']), /'http:\/\/db:80' is a http URL, but connprobe probes only a TCP or unix socket connect\(\): write tcp:\/\/HOST:PORT or unix:PATH/);
    assert.throws(() => parseTargets(['https://x']), /is a https URL/);
    for (const text of ['tcp://db', 'tcp://5432', 'tcp://db:5432/', 'tcp:', 'tcp://::1:80']) {
      assert.throws(() => parseTargets([text]), /a URL target is tcp:\/\/HOST:PORT|port must be/, text);
    }
  });
  it('a host named like a scheme, without //, is a host: http:8080', () => {
    assert.deepEqual(show(['http:8080']), ['http/8080']);
  });
});

describe('address ranges as HOST: expanded in order, addresses outer and ports inner', () => {
  const show = (args: string[]) => parseTargets(args).map((t) => `${t.host.text}/${t.port}`);
  it('nmap-style octet ranges and lists, in any octet, each value once in the order written', () => {
    assert.deepEqual(show(['127.0.0.1-3', '80']), ['127.0.0.1/80', '127.0.0.2/80', '127.0.0.3/80']);
    assert.deepEqual(show(['127.0.1,2.1', '80,81']), ['127.0.1.1/80', '127.0.1.1/81', '127.0.2.1/80', '127.0.2.1/81']);
    assert.deepEqual(show(['10.9,1-2,1.0.0:22']), ['10.9.0.0/22', '10.1.0.0/22', '10.2.0.0/22']);
  });
  it('CIDR, network and broadcast addresses included (as nmap scans them); host bits ignored', () => {
    assert.deepEqual(show(['192.0.2.5/30', '80']), ['192.0.2.4/80', '192.0.2.5/80', '192.0.2.6/80', '192.0.2.7/80']);
    assert.deepEqual(show(['192.0.2.255/32:80']), ['192.0.2.255/80']);
    assert.equal(parseTargets(['10.0.0.0/22', '80']).at(-1)?.host.text, '10.0.3.255');
    assert.deepEqual(show(['fd00::fe/127', '80']), ['fd00::fe/80', 'fd00::ff/80']);
    assert.deepEqual(show(['[fd00::1:0]/127:80']), ['fd00::1:0/80', 'fd00::1:1/80']);
    assert.deepEqual(show(['[fd00::ffff/120]:80']).slice(0, 2), ['fd00::ff00/80', 'fd00::ff01/80']);
  });
  it('refuses malformed ranges, naming the part', () => {
    assert.throws(() => parseHostPattern('127.0.0.1-300'), /octet ranges of '127\.0\.0\.1-300' take numbers from 0 to 255, not '300'/);
    assert.throws(() => parseHostPattern('127.0.0.4-1'), /octet range must go up, not '4-1'/);
    assert.throws(() => parseHostPattern('127.0.1-2'), /an IPv4 range has four octets/);
    assert.throws(() => parseHostPattern('127.0.0.1-2-3'), /octet range must be FIRST-LAST/);
    assert.throws(() => parseHostPattern('127.0.0.1,'), /not ''/);
    assert.throws(() => parseHostPattern('127.0.0.0/33'), /the prefix length of '127\.0\.0\.0\/33' must be from 0 to 32, not '33'/);
    assert.throws(() => parseHostPattern('fd00::/129'), /from 0 to 128/);
    assert.throws(() => parseHostPattern('db/24'), /a CIDR block is ADDRESS\/PREFIX/);
    assert.throws(() => parseHostPattern('fe80::/120'), /link-local address 'fe80::' needs a scope/);
  });
  it('more than 2^24 addresses x ports is refused, an IPv6 prefix counted without expanding it', () => {
    assert.equal(addressCount(parseHostPattern('127.0.0.0/8')), 2n ** 24n);
    assert.doesNotThrow(() => parseTargetGroups(['127.0.0.0/8', '80']));
    assert.throws(() => parseTargetGroups(['127.0.0.0/8', '80,81']), /'127\.0\.0\.0\/8 80,81' makes 33,554,432 targets; at most 16,777,216 \(2\^24\) in one run/);
    assert.throws(() => parseTargetGroups(['10.0.0.0/9:1-3', '10.128.0.0/9:1']), /makes 33,554,432 targets/);
    assert.doesNotThrow(() => parseTargetGroups(['fd00::/104', '80']));
    assert.throws(() => parseTargetGroups(['fd00::/103', '80']), /'fd00::\/103' makes 33,554,432 targets/);
    assert.throws(() => parseTargetGroups(['::/0', '80']), /makes 340,282,366,920,938,463,463,374,607,431,768,211,456 targets/);
  });
});

describe('service names as ports, as nc looks them up', () => {
  it('TCP entries of a services file, aliases too; the first entry of a name wins; udp-only names are not ports', () => {
    const table = parseServices('# comment\nhttp\t\t80/tcp\t\twww\t# WWW\nhttp 8080/tcp\nsyslog 514/udp\ndomain 53/tcp\ndomain 53/udp\n');
    assert.deepEqual([...table], [['http', 80], ['www', 80], ['domain', 53]]);
  });
  it('names in ports lists, with numbers and ranges', () => {
    assert.deepEqual(parseTargets(['127.0.0.1', 'ssh,http', '8000-8001']).map((t) => t.port), [22, 80, 8000, 8001]);
    assert.deepEqual(parseTargets(['localhost:https']).map((t) => t.port), [443]);
  });
  it('an unknown name is a usage error naming where it was looked up', () => {
    assert.throws(() => parsePorts('nosuchservice'), /port must be a number from 1 to 65535 or a TCP service name \(\/etc\/services\), not 'nosuchservice'/);
  });
  it('a missing (or empty) file falls back on the built-in table, which agrees with the system file where both name a service', () => {
    const missing = serviceTable('/nonexistent/services');
    assert.equal(missing.source, 'built-in table; /nonexistent/services is missing or empty');
    assert.equal(missing.ports.get('postgres'), 5432);
    const system = serviceTable();
    for (const [name, port] of Object.entries(BUILT_IN_SERVICES)) {
      const listed = system.ports.get(name);
      if (listed !== undefined) assert.equal(listed, port, name);
    }
  });
});

describe('unix socket targets', () => {
  const unix = (args: string[]) => parseTargets(args).map((t) => [t.host.text, t.port, t.host.kind === 'unix' ? t.host.endpoint.path : undefined]);
  it('unix:/path, unix:@name, dockerize\'s unix:///path and wait-on\'s socket:/path; shown in the unix: form', () => {
    assert.deepEqual(unix(['unix:/run/x.sock']), [['unix:/run/x.sock', null, '/run/x.sock']]);
    assert.deepEqual(unix(['unix:@name']), [['unix:@name', null, '@name']]);
    assert.deepEqual(unix(['unix:///run/x.sock']), [['unix:/run/x.sock', null, '/run/x.sock']]);
    assert.deepEqual(unix(['socket:/run/x.sock']), [['unix:/run/x.sock', null, '/run/x.sock']]);
  });
  it('a relative path is taken as given (from the current directory); ./@x is a path, @x a name', () => {
    assert.deepEqual(unix(['unix:run/x.sock']), [['unix:run/x.sock', null, 'run/x.sock']]);
    assert.deepEqual(unix(['unix:./@x']), [['unix:./@x', null, './@x']]);
  });
  it('a path with colons is one target, among others', () => {
    assert.deepEqual(unix(['unix:/tmp/a:b', 'unix:@x']).map(([text]) => text), ['unix:/tmp/a:b', 'unix:@x']);
    const mixed = parseTargets(['unix:/tmp/a:b', '127.0.0.1:80']);
    assert.deepEqual(mixed.map((t) => [t.host.kind, t.port]), [['unix', null], ['address', 80]]);
  });
  it('sun_path\'s limits, counted in bytes: 107 for a path (plus its NUL), 107 for an abstract name; no NUL inside', () => {
    assert.equal(parseTargets([`unix:/${'a'.repeat(106)}`]).length, 1, '107 bytes');
    assert.equal(parseTargets([`unix:@${'a'.repeat(107)}`]).length, 1, '107 bytes');
    assert.throws(() => parseTargets([`unix:/${'a'.repeat(107)}`]), /107 bytes at most \(plus its NUL\), not 108/);
    assert.throws(() => parseTargets([`unix:@${'a'.repeat(108)}`]), /107 bytes at most, not 108/);
    assert.throws(() => parseTargets([`unix:/${'é'.repeat(54)}`]), /not 109/);
    assert.throws(() => parseHostPorts('unix:/tmp/a\0b'), /cannot contain a NUL byte/);
    assert.throws(() => parseHostPorts('unix:@a\0b'), /cannot contain a NUL byte/);
  });
});
