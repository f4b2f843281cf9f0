import { didYouMean, editDistance, nearestName } from './input-hints';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['label', 'label', 0],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['lable', 'label', 1], // an adjacent swap is one edit
    ['digt', 'digit', 1],
    ['abc', 'xyz', 3],
  ])('%s -> %s = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('nearestName', () => {
  const header = ['id', 'age', 'income', 'sex', 'diagnosis'];

  it('finds the header name a typo came from, ignoring case', () => {
    expect(nearestName('diagnsois', header)).toBe('diagnosis');
    expect(nearestName('Income', header)).toBe('income');
    expect(nearestName('ID', header)).toBe('id');
    expect(nearestName('incme', header)).toBe('income');
  });

  it('suggests nothing when no name is near, and never for a one-letter name', () => {
    expect(nearestName('outcome', header)).toBeUndefined();
    expect(nearestName('zip_code', header)).toBeUndefined();
    expect(nearestName('y', ['x', 'z'])).toBeUndefined();
    expect(nearestName('', header)).toBeUndefined();
  });

  it('takes the first name in header order on a tie', () => {
    expect(nearestName('ab', ['ax', 'ay'])).toBe('ax');
  });
});

describe('didYouMean', () => {
  it('words the hint, or says nothing', () => {
    expect(didYouMean('lable', ['x1', 'label'])).toBe("; did you mean 'label'?");
    expect(didYouMean('target', ['x1', 'label'])).toBe('');
  });
});
