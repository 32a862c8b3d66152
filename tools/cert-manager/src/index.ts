export { startCertManager, type StartOptions } from './controller.js';
export { CERT_MANAGER_MODULE, type CertManagerKit, ensureCertManager } from './kit.js';
