/** Locations shown relative to the Jupyter root, as the File Browser shows them. */
import { relativeToRoot } from '../serverPaths';

describe('relativeToRoot', () => {
  it('shows a folder inside the root relative to it', () => {
    expect(relativeToRoot('/home/ana/work/examples/actg175', '/home/ana/work')).toBe('examples/actg175');
    expect(relativeToRoot('/home/ana/work/examples/actg175/', '/home/ana/work/')).toBe('examples/actg175');
    expect(relativeToRoot('/home/ana/work', '/home/ana/work')).toBe('.');
  });

  it('keeps folders outside the root, look-alike prefixes and URLs as they are', () => {
    expect(relativeToRoot('/data/actg175', '/home/ana/work')).toBe('/data/actg175');
    expect(relativeToRoot('/home/ana/work2/actg175', '/home/ana/work')).toBe('/home/ana/work2/actg175');
    expect(relativeToRoot('http://127.0.0.1:8000/actg175', '/home/ana/work')).toBe('http://127.0.0.1:8000/actg175');
  });

  it('keeps the location when the root is unknown or home-relative', () => {
    expect(relativeToRoot('/home/ana/work/x', '')).toBe('/home/ana/work/x');
    expect(relativeToRoot('/home/ana/work/x', '~/work')).toBe('/home/ana/work/x');
  });

  it('handles Windows separators', () => {
    expect(relativeToRoot('C:\\Users\\ana\\work\\actg175', 'C:/Users/ana/work')).toBe('actg175');
  });

  it('a root of / leaves every path relative', () => {
    expect(relativeToRoot('/data/actg175', '/')).toBe('data/actg175');
  });
});
