import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** PEM material for the simulated tenant's HTTPS servers. */
export interface TlsMaterial {
  /** The self-signed CA; clients trust this. */
  caCertPem: string;
  /** Leaf certificate for 127.0.0.1 and localhost, signed by the CA. */
  certPem: string;
  keyPem: string;
}

const DAY_MS = 86_400_000;

// NOTE: RSA keys are generated with Node's native crypto (fast) and certificates built with node-forge.
// Still, generation is done once per process: every SimulatedTenant shares one CA and leaf.
let cached: Promise<TlsMaterial> | undefined;

/** The process-wide CA and leaf certificate, generated on first use. */
export function getTlsMaterial(): Promise<TlsMaterial> {
  cached ??= Promise.resolve().then(generateTlsMaterial);
  return cached;
}

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    keyPem: privateKey,
  };
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: clear the top bit of the first byte.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + validDays * DAY_MS);
  return cert;
}

function generateTlsMaterial(): TlsMaterial {
  const caKeys = newKeyPair();
  const caSubject = [
    { name: 'commonName', value: 'Simulated Tenant Test CA' },
    { name: 'organizationName', value: 'defender-incident-exporter tests' },
  ];
  const ca = newCertificate(caKeys.publicKey, 365);
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const leafKeys = newKeyPair();
  const leaf = newCertificate(leafKeys.publicKey, 364);
  leaf.setSubject([{ name: 'commonName', value: 'localhost' }]);
  leaf.setIssuer(caSubject);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  leaf.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(leaf),
    keyPem: leafKeys.keyPem,
  };
}
