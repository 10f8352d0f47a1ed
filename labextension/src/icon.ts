/** The Data Products icon: a stack of data cylinders (inline SVG, themed by --jp-* colours). */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2C7.6 2 4 3.3 4 5v3c0 1.7 3.6 3 8 3s8-1.3 8-3V5c0-1.7-3.6-3-8-3zm0 2c3.7 0 6 1 6 1s-2.3 1-6 1-6-1-6-1 2.3-1 6-1z"/>
    <path d="M4 10.5V13c0 1.7 3.6 3 8 3s8-1.3 8-3v-2.5c-1.6 1.1-4.7 1.8-8 1.8s-6.4-.7-8-1.8z"/>
    <path d="M4 15.5V19c0 1.7 3.6 3 8 3 1 0 1.9-.1 2.8-.2l-.8-1.8V18c0-.3 0-.6.1-.9-.7.1-1.4.1-2.1.1-3.3 0-6.4-.7-8-1.7z"/>
    <path d="M19 14l1.2 2.5 2.8.4-2 2 .5 2.8-2.5-1.3-2.5 1.3.5-2.8-2-2 2.8-.4z"/>
  </g>
</svg>`;

export const dataProductIcon = new LabIcon({ name: 'jupyter-dataproduct:icon', svgstr: svg });
