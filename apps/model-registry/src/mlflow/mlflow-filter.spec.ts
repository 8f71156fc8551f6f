import { ProblemException } from '@iotwins/http';
import { parseMlflowFilter } from './mlflow-filter';

describe('MLflow search filters', () => {
  it('reads name, prefix, tag and run conditions joined by AND', () => {
    expect(
      parseMlflowFilter(
        "name LIKE 'turbine%' AND tags.testbed = '7' AND tag.`mlflow.prompt.is_prompt` != 'true'",
      ),
    ).toEqual({
      namePrefix: 'turbine',
      tags: ['testbed=7'],
      excludeTags: ['mlflow.prompt.is_prompt=true'],
    });
    expect(parseMlflowFilter("name = 'a' and run_id = 'r1'")).toEqual({
      name: 'a',
      runId: 'r1',
      tags: [],
      excludeTags: [],
    });
    expect(parseMlflowFilter(undefined)).toEqual({ tags: [], excludeTags: [] });
  });

  it.each(["name LIKE '%middle%'", 'creation_timestamp > 5', "name = 'a' OR name = 'b'"])(
    'refuses %j, naming what is supported',
    (filter) => {
      let thrown: unknown;
      try {
        parseMlflowFilter(filter);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ProblemException);
      expect((thrown as ProblemException).problem).toMatchObject({
        status: 400,
        detail: expect.stringContaining('Unsupported filter'),
      });
    },
  );
});
