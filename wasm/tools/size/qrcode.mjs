// What a user of the qrcode package ships to render a pairing QR code as SVG or a data: URL.
import QRCode from 'qrcode';

export const { toString, toDataURL } = QRCode;
