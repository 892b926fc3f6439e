/** The kernel's logo: a small inline SVG (a duck-yellow database), so nothing is fetched. */
export const KERNEL_LOGO =
  'data:image/svg+xml;base64,' +
  btoa(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><ellipse cx="32" cy="14" rx="22" ry="8" fill="#fff100" stroke="#333" stroke-width="3"/><path d="M10 14v36c0 4.4 9.8 8 22 8s22-3.6 22-8V14" fill="#fff100" stroke="#333" stroke-width="3"/><path d="M10 32c0 4.4 9.8 8 22 8s22-3.6 22-8" fill="none" stroke="#333" stroke-width="3"/></svg>'
  );
