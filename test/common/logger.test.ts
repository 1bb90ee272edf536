import { createLogger, redact, registerSensitive } from '../../src/common/logger';

describe('redaction', () => {
  it('removes registered secrets, bearer tokens, JWTs and account keys from every line', () => {
    registerSensitive('s3cr3t-value-xyz');
    const lines: string[] = [];
    const logger = createLogger({ info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) });
    logger.error('failed with s3cr3t-value-xyz', { header: 'Bearer abc.def-ghi', jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig', cs: 'AccountName=a;AccountKey=Zm9vYmFy==;' });
    expect(lines[0]).not.toMatch(/s3cr3t|abc\.def|eyJhbGci|Zm9vYmFy/);
    expect(redact('client_secret=hunter22&scope=x')).toBe('client_secret=[REDACTED]&scope=x');
  });
});
