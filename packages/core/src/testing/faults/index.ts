export {
  connectionStringThrough,
  startHttpFaultProxy,
  storageTarget,
  type HttpFault,
  type HttpFaultProxy,
  type HttpFaultProxyOptions,
  type ProxiedRequest,
  type StorageService,
} from './http-proxy.ts';
export { startTcpFaultProxy, type TcpFaultProxy, type TcpFaultProxyOptions, type TcpMode } from './tcp-proxy.ts';
