/**
 * The FIPA HTTP MTP (SC00084): the multipart body ({@link dev.caxton.fipa.mtp.MtpBody}), the ingress
 * endpoint ({@link dev.caxton.fipa.mtp.MtpServer}) and the egress client
 * ({@link dev.caxton.fipa.mtp.MtpClient}).
 */
package dev.caxton.fipa.mtp;
